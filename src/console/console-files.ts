// The console's static files (src/console/static/), read once at start-up and served under
// /_monodyne/: the page at /_monodyne/ and its scripts and styles at /_monodyne/console/<name>.
// Only the files found there can be named, so no path can reach anything else.
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
  private readonly files = new Map<string, StaticFile>();

  constructor(dir = fileURLToPath(new URL('./static/', import.meta.url))) {
    for (const name of readdirSync(dir)) {
      const contentType = contentTypes[extname(name)];
      if (contentType === undefined) continue;
      this.files.set(name === 'index.html' ? '' : `console/${name}`, { contentType, body: readFileSync(`${dir}/${name}`) });
    }
  }

  /** `path` is under /_monodyne/: "" for the page, "console/app.js" for a file beside it. */
  get(path: string): StaticFile | undefined {
    return this.files.get(path);
  }
}
