// monodyne's version, as package.json gives it (embedded in the bundle at build time, read by tsx from the sources).
import packageJson from '../../package.json' with { type: 'json' };

export const version: string = packageJson.version;
