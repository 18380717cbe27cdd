// IAM-style identity policies: statements that Allow or Deny actions on resources, with IAM's
// wildcards and evaluation (an explicit Deny beats any Allow; nothing allowed means denied),
// and DynamoDB's AccessDeniedException message for a request outside the policy.
import { DynamoError } from '../protocol/errors.ts';

/** One statement, in IAM's own spelling so statements can be pasted from IAM policies. */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  /** ARNs, table names (shorthand for arn:aws:dynamodb:*:*:table/NAME) or "*"; "*" when absent. */
  Resource?: string | string[];
}

export enum Decision {
  Allow = 0,
  ImplicitDeny = 1,
  ExplicitDeny = 2,
}

/** The account every monodyne ARN names (the control plane's table ARNs use it too). */
export const accountId = '000000000000';

export function tableArn(region: string, table: string): string {
  return `arn:aws:dynamodb:${region}:${accountId}:table/${table}`;
}

export function userArn(user: string): string {
  return `arn:aws:iam::${accountId}:user/${user}`;
}

interface CompiledStatement {
  allow: boolean;
  actions: RegExp[];
  /** null: any resource ("*"). */
  resources: RegExp[] | null;
}

/** Actions whose decision has been worked out without a resource; bounded (names come from clients). */
const resourceFreeCacheMax = 256;

export class Policy {
  private readonly statements: CompiledStatement[];
  private readonly resourceFree = new Map<string, Decision | null>();

  constructor(statements: readonly PolicyStatement[]) {
    this.statements = statements.map(compileStatement);
  }

  /** The policy that allows everything: what a credential without a policy gets. */
  static allowAll(): Policy {
    return new Policy([{ Effect: 'Allow', Action: '*', Resource: '*' }]);
  }

  /**
   * The decision for `action` when it does not depend on the resource (so the request body
   * need not be read), or null when it does.
   */
  decisionWithoutResource(action: string): Decision | null {
    let decision = this.resourceFree.get(action);
    if (decision !== undefined) return decision;
    let allowAny = false;
    let allowSome = false;
    let denySome = false;
    decision = null;
    for (const s of this.statements) {
      if (!matchesAny(s.actions, action)) continue;
      if (!s.allow && s.resources === null) {
        decision = Decision.ExplicitDeny;
        break;
      }
      if (s.allow) {
        if (s.resources === null) allowAny = true;
        else allowSome = true;
      } else denySome = true;
    }
    if (decision === null && !denySome) {
      if (allowAny) decision = Decision.Allow;
      else if (!allowSome) decision = Decision.ImplicitDeny;
    }
    if (this.resourceFree.size >= resourceFreeCacheMax) this.resourceFree.clear();
    this.resourceFree.set(action, decision);
    return decision;
  }

  evaluate(action: string, resource: string): Decision {
    let allowed = false;
    for (const s of this.statements) {
      if (!matchesAny(s.actions, action)) continue;
      if (s.resources !== null && !matchesAny(s.resources, resource)) continue;
      if (!s.allow) return Decision.ExplicitDeny;
      allowed = true;
    }
    return allowed ? Decision.Allow : Decision.ImplicitDeny;
  }
}

/** DynamoDB's AccessDeniedException for one action on one resource. */
export function accessDenied(user: string, action: string, resource: string, decision: Decision): DynamoError {
  const because =
    decision === Decision.ExplicitDeny
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  return new DynamoError('AccessDeniedException', `User: ${user} is not authorized to perform: ${action} on resource: ${resource} ${because}`);
}

function matchesAny(patterns: RegExp[], text: string): boolean {
  for (let i = 0; i < patterns.length; i++) if (patterns[i].test(text)) return true;
  return false;
}

function compileStatement(s: PolicyStatement): CompiledStatement {
  const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).map((a) => globToRegExp(a, true));
  const resourceList = s.Resource === undefined ? ['*'] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];
  const resources = resourceList.includes('*') ? null : resourceList.map((r) => globToRegExp(resourcePattern(r), false));
  return { allow: s.Effect === 'Allow', actions, resources };
}

/** A table name (wildcards allowed) is shorthand for that table's ARN in any region. */
function resourcePattern(resource: string): string {
  return resource.startsWith('arn:') ? resource : `arn:aws:dynamodb:*:*:table/${resource}`;
}

/** IAM wildcards: '*' any run of characters, '?' one character. Actions ignore case, as in IAM. */
function globToRegExp(glob: string, ignoreCase: boolean): RegExp {
  let source = '^';
  for (const c of glob) {
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`${source}$`, ignoreCase ? 'is' : 's');
}

/** Checks one statement's shape; returns what is wrong with it, or null. */
export function statementProblem(s: unknown): string | null {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return 'a statement must be an object';
  const st = s as Record<string, unknown>;
  for (const key of Object.keys(st)) {
    if (key !== 'Effect' && key !== 'Action' && key !== 'Resource' && key !== 'Sid') return `unknown statement field "${key}"`;
  }
  if (st.Effect !== 'Allow' && st.Effect !== 'Deny') return 'Effect must be "Allow" or "Deny"';
  if (!isStringOrList(st.Action)) return 'Action must be a non-empty string or a non-empty list of them';
  for (const a of [st.Action].flat() as string[]) {
    if (a !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(a)) return `Action "${a}" must look like "dynamodb:GetItem" (wildcards * and ? allowed)`;
  }
  if (st.Resource !== undefined && !isStringOrList(st.Resource)) return 'Resource must be a non-empty string or a non-empty list of them';
  return null;
}

function isStringOrList(v: unknown): boolean {
  if (typeof v === 'string') return v.length > 0;
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0);
}
