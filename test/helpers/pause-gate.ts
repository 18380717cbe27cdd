// A gate that workers pass between their requests, closed while another worker needs a quiet
// moment: an auditor whose TransactGetItems keep being cancelled by the transfers' locks (as
// DynamoDB cancels them too) closes it until one audit gets through. Without it, whether any
// audit succeeds depends on how the machine schedules the workers.
export class PauseGate {
  private closed: Promise<void> | null = null;
  private open: (() => void) | null = null;

  /** Resolves at once while the gate is open, else when it opens. */
  pass(): Promise<void> | void {
    return this.closed ?? undefined;
  }

  close(): void {
    if (this.closed !== null) return;
    this.closed = new Promise((resolve) => (this.open = resolve));
  }

  reopen(): void {
    this.open?.();
    this.closed = null;
    this.open = null;
  }
}
