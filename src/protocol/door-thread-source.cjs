'use strict';
// A front-door thread's entry when the server runs from its TypeScript sources (tests,
// benchmarks): the thread's tsx flags let require() load the source, but Node decides an entry
// file's format before they apply, so the entry cannot be the .ts file itself.
require('./door-thread.ts');
