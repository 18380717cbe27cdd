#!/usr/bin/env node
// The monodyne command: loads TypeScript through tsx (which storage worker threads load too)
// and runs the command line.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
