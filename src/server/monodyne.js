#!/usr/bin/env node
// The monodyne command run from the TypeScript sources, for tests and development (npm run
// start:sources): loads tsx (storage worker threads load it too) and runs the command line.
// The bin users run is the compiled dist/monodyne.cjs (npm run build).
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
