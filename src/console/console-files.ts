// The console's static files (src/console/static/), read once at start-up and served under
// /_monodyne/: the page at /_monodyne/ and its scripts and styles at /_monodyne/console/<name>.
// Only the files found there can be named, so no path can reach anything else. (A build that
// compiles src/ elsewhere must copy src/console/static/ beside this module.)
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StaticFile } from '../protocol/front-door.ts';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export class ConsoleFiles {
  private readonly dir: string;
  /** Read at the first request, not at start-up: a server that nobody opens the console of pays nothing. */
  private files: Map<string, StaticFile> | null = null;

  constructor(dir = fileURLToPath(new URL('./static/', import.meta.url))) {
    this.dir = dir;
  }

  /** `path` is under /_monodyne/: "" for the page, "console/app.js" for a file beside it. */
  get(path: string): StaticFile | undefined {
    this.files ??= this.load();
    return this.files.get(path);
  }

  private load(): Map<string, StaticFile> {
    const files = new Map<string, StaticFile>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      // A build that left the static files behind: the console is missing, the server is not.
      console.warn(`[monodyne] the console's files are not at ${this.dir} (${(err as Error).message}): /_monodyne/ answers 404`);
      return files;
    }
    for (const name of names) {
      const contentType = contentTypes[extname(name)];
      if (contentType === undefined) continue;
      files.set(name === 'index.html' ? '' : `console/${name}`, { contentType, body: readFileSync(`${this.dir}/${name}`) });
    }
    return files;
  }
}
