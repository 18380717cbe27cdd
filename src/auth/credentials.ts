// The credentials monodyne accepts (from auth.credentials in the config): each an access key,
// its secret, the IAM-style user it stands for and that user's policy.
import { Policy, statementProblem, userArn, type PolicyStatement } from './policy.ts';

/** One entry of auth.credentials, as written in the config. */
export interface CredentialConfig {
  accessKeyId: string;
  secretAccessKey: string;
  /** The user name in ARNs and AccessDeniedException messages; the access key id when absent. */
  user?: string;
  /** IAM-style statements; absent means everything is allowed. */
  policy?: PolicyStatement[];
}

/** The development credential of the embedded default configuration (documented in README). */
export const developmentCredential = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export class Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly user: string;
  readonly userArn: string;
  readonly policy: Policy;

  constructor(config: CredentialConfig) {
    this.accessKeyId = config.accessKeyId;
    this.secretAccessKey = config.secretAccessKey;
    this.user = config.user ?? config.accessKeyId;
    this.userArn = userArn(this.user);
    this.policy = config.policy === undefined ? Policy.allowAll() : new Policy(config.policy);
  }
}

export function isDevelopmentCredential(c: CredentialConfig): boolean {
  return c.accessKeyId === developmentCredential.accessKeyId && c.secretAccessKey === developmentCredential.secretAccessKey;
}

/** Access key ids as AWS forms them (letters and digits), plus the readable ones people pick locally. */
const accessKeyIdPattern = /^[A-Za-z0-9_.+=@-]{1,128}$/;
/** IAM user names: letters, digits and +=,.@_- (IAM's own rule). */
const userPattern = /^[A-Za-z0-9+=,.@_-]{1,64}$/;

/** Validates auth.credentials; returns what is wrong (naming the entry), or null. */
export function credentialsProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be a list of {"accessKeyId", "secretAccessKey", "user"?, "policy"?} objects';
  const seen = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    const entry = value[i] as Record<string, unknown>;
    const where = `entry ${i}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return `${where} must be an object`;
    for (const key of Object.keys(entry)) {
      if (key !== 'accessKeyId' && key !== 'secretAccessKey' && key !== 'user' && key !== 'policy') {
        return `${where}: unknown field "${key}"`;
      }
    }
    if (typeof entry.accessKeyId !== 'string' || !accessKeyIdPattern.test(entry.accessKeyId)) {
      return `${where}: accessKeyId must be 1 to 128 letters, digits or _.+=@-`;
    }
    if (seen.has(entry.accessKeyId)) return `${where}: accessKeyId "${entry.accessKeyId}" appears twice`;
    seen.add(entry.accessKeyId);
    if (typeof entry.secretAccessKey !== 'string' || entry.secretAccessKey.length === 0 || entry.secretAccessKey.length > 256) {
      return `${where} (${entry.accessKeyId}): secretAccessKey must be a non-empty string of at most 256 characters`;
    }
    if (entry.user !== undefined && (typeof entry.user !== 'string' || !userPattern.test(entry.user))) {
      return `${where} (${entry.accessKeyId}): user must be 1 to 64 letters, digits or +=,.@_-`;
    }
    if (entry.policy !== undefined) {
      if (!Array.isArray(entry.policy)) return `${where} (${entry.accessKeyId}): policy must be a list of statements`;
      for (let j = 0; j < entry.policy.length; j++) {
        const problem = statementProblem(entry.policy[j]);
        if (problem) return `${where} (${entry.accessKeyId}): policy statement ${j}: ${problem}`;
      }
    }
  }
  return null;
}
