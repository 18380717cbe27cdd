// Authentication (SigV4 against the configured credentials) and authorization (each
// credential's policy) of DynamoDB requests and admin requests, for the front door.
import { SigV4Verifier, type HeaderSource, type PendingSignature } from './sigv4.ts';
import { Credential, type CredentialConfig } from './credentials.ts';
import { Decision, accessDenied, accountId } from './policy.ts';
import { actionsOf, resourcesOf } from './request-resources.ts';
import { RefusalLog } from './refusal-log.ts';
import { DynamoError } from '../protocol/errors.ts';
import { log } from '../server/logger.ts';

export type PendingAuth = PendingSignature<Credential>;

export interface AuthenticatorOptions {
  credentials: readonly CredentialConfig[];
  clockSkewSeconds: number;
  now?: () => number;
  /** Where refused signatures and unknown access keys are reported (default: the server's log, as warnings). */
  logRefusal?: (line: string) => void;
  /**
   * Takes each refusal instead of this authenticator's own log: another front-door thread hands
   * its refusals to the main thread's, so that each is logged once for the server, not per thread.
   */
  refusals?: { note(accessKeyId: string, error: DynamoError): void };
}

export class Authenticator {
  private readonly verifier: SigV4Verifier<Credential>;
  private readonly byAccessKey = new Map<string, Credential>();
  private readonly refusals: { note(accessKeyId: string, error: DynamoError): void };

  constructor(options: AuthenticatorOptions) {
    for (const c of options.credentials) this.byAccessKey.set(c.accessKeyId, new Credential(c));
    this.verifier = new SigV4Verifier<Credential>({
      lookup: (accessKeyId) => this.byAccessKey.get(accessKeyId),
      clockSkewSeconds: options.clockSkewSeconds,
      now: options.now,
    });
    this.refusals = options.refusals ?? new RefusalLog(options.logRefusal ?? log.warn, options.now);
  }

  /** A refusal another front-door thread saw (its authenticator's `refusals`), logged as this one's are. */
  noteRefusal(accessKeyId: string, error: DynamoError): void {
    this.refusals.note(accessKeyId, error);
  }

  /** While the headers are at hand: everything but the signature itself. Throws DynamoError. */
  begin(headers: HeaderSource, method: string, rawPath: string, rawQuery: string): PendingAuth {
    try {
      return this.verifier.begin(headers, method, rawPath, rawQuery);
    } catch (err) {
      // A request that names no access key (unsigned) is not a refused signature: not logged.
      const accessKeyId = this.verifier.accessKeyIdOf(headers, rawQuery);
      if (accessKeyId !== null && err instanceof DynamoError) this.refusals.note(accessKeyId, err);
      throw err;
    }
  }

  /** Once the body is in: verifies the signature and returns who signed. Throws DynamoError. */
  finish(pending: PendingAuth, body: Uint8Array): Credential {
    try {
      this.verifier.finish(pending, body);
    } catch (err) {
      if (err instanceof DynamoError) this.refusals.note(pending.credential.accessKeyId, err);
      throw err;
    }
    return pending.credential;
  }

  /**
   * Checks the credential's policy for a DynamoDB operation. The body is parsed only when the
   * policy's answer depends on the tables; a body that is not a JSON object is left to the
   * dispatcher, which refuses it with a SerializationException before touching any table.
   */
  authorize(credential: Credential, operation: string, body: Uint8Array, region: string): void {
    // Allowed on every resource, each action the operation may need: its body need not be read.
    let allowedEverywhere = true;
    for (const action of actionsOf(operation)) {
      if (credential.policy.decisionWithoutResource(action) !== Decision.Allow) {
        allowedEverywhere = false;
        break;
      }
    }
    if (allowedEverywhere) return;
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch {
      return;
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return;
    for (const { action: needed, resource } of resourcesOf(operation, input as Record<string, unknown>, region)) {
      const decision = credential.policy.evaluate(needed, resource);
      if (decision !== Decision.Allow) throw accessDenied(credential.userArn, needed, resource, decision);
    }
  }

  /** Checks the credential's policy for an admin action (e.g. "monodyne:GetPartitions") on a path under /_monodyne/. */
  authorizeAdmin(credential: Credential, action: string, adminPath: string, region: string): void {
    const resource = `arn:aws:monodyne:${region}:${accountId}:admin/${adminPath}`;
    const decision = credential.policy.evaluate(action, resource);
    if (decision !== Decision.Allow) throw accessDenied(credential.userArn, action, resource, decision);
  }

  get cachedSigningKeys(): number {
    return this.verifier.cachedSigningKeys;
  }
}
