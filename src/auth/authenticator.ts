// Authentication (SigV4 against the configured credentials) and authorization (each
// credential's policy) of DynamoDB requests and admin requests, for the front door.
import { SigV4Verifier, type HeaderSource, type PendingSignature } from './sigv4.ts';
import { Credential, type CredentialConfig } from './credentials.ts';
import { Decision, accessDenied, accountId } from './policy.ts';
import { actionsOf, resourcesOf } from './request-resources.ts';

export type PendingAuth = PendingSignature<Credential>;

export interface AuthenticatorOptions {
  credentials: readonly CredentialConfig[];
  clockSkewSeconds: number;
  now?: () => number;
}

export class Authenticator {
  private readonly verifier: SigV4Verifier<Credential>;
  private readonly byAccessKey = new Map<string, Credential>();

  constructor(options: AuthenticatorOptions) {
    for (const c of options.credentials) this.byAccessKey.set(c.accessKeyId, new Credential(c));
    this.verifier = new SigV4Verifier<Credential>({
      lookup: (accessKeyId) => this.byAccessKey.get(accessKeyId),
      clockSkewSeconds: options.clockSkewSeconds,
      now: options.now,
    });
  }

  /** While the headers are at hand: everything but the signature itself. Throws DynamoError. */
  begin(headers: HeaderSource, method: string, rawPath: string, rawQuery: string): PendingAuth {
    return this.verifier.begin(headers, method, rawPath, rawQuery);
  }

  /** Once the body is in: verifies the signature and returns who signed. Throws DynamoError. */
  finish(pending: PendingAuth, body: Uint8Array): Credential {
    this.verifier.finish(pending, body);
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
