/** Base class of the cluster harness's errors; `name` is the subclass name. */
export class ClusterHarnessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A control-plane component exited or did not become ready in time; the message carries its log tail. */
export class ComponentStartError extends ClusterHarnessError {
  constructor(
    readonly component: string,
    reason: string,
    readonly logTail: string,
    options?: { cause?: unknown }
  ) {
    super(`${component} failed to start: ${reason}\n--- last lines of the ${component} log ---\n${logTail}`, options);
  }
}

/** A bounded wait ran out. */
export class WaitTimeoutError extends ClusterHarnessError {}
