// Assertions on the replication protocol's invariants (log indices, epochs, committed ≤ last).
// A broken invariant means this replica's state can no longer be trusted: the error stops the
// storage node loudly (its thread ends, the control plane fails it over and rebuilds its
// replicas from healthy ones) instead of letting it write or acknowledge corrupt data.

export class InvariantError extends Error {
  constructor(message: string) {
    super('replication invariant violated: ' + message);
    this.name = 'InvariantError';
  }
}

export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}

/** Throws the InvariantError for `message`: for checks on the hot path, written `if (!ok) broken(\`...\`)` so that no message closure is made when they hold. */
export function broken(message: string): never {
  throw new InvariantError(message);
}
