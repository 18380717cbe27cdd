// Loaded with --import before the bench: registers a resolve hook that refuses the native
// addons, proving the benchmarked hot-path stages do not depend on them.
import { register } from 'node:module';

register('data:text/javascript,' + encodeURIComponent(`
const denied = new Set(['lmdb', 'uWebSockets.js', 'uwebsockets']);
export async function resolve(specifier, context, next) {
  if (denied.has(specifier)) throw new Error('native-free-bench must not import ' + specifier);
  return next(specifier, context);
}`));
