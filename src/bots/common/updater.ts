/**
 * One message kept up to date within a platform's rate limit. Progress arrives faster than chat APIs accept
 * edits (Slack chat.update is Tier 3, ~50/min per workspace; Discord allows ~5 edits per 5 s per channel), so
 * updates coalesce: the newest content wins and at most one edit goes out per interval. An edit that fails
 * is logged and the next one retried; progress must never stop a training.
 */

export interface UpdaterOptions {
  /** Minimum time between two edits (ms). */
  minIntervalMs: number;
  onError?: (e: unknown) => void;
}

export interface MessageUpdater<T> {
  /** Schedules `content` to be shown; replaces any content not yet sent. */
  update(content: T): void;
  /** Sends the newest content now (waiting out the interval) and resolves once it and earlier edits are done. */
  flush(): Promise<void>;
  /** Edits sent so far. */
  readonly sent: number;
}

export function createUpdater<T>(
  send: (content: T) => Promise<void>,
  options: UpdaterOptions,
): MessageUpdater<T> {
  let pending: { content: T } | null = null;
  let lastSent = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  let sent = 0;

  const fire = (): Promise<void> => {
    timer = null;
    const next = pending;
    pending = null;
    if (!next) return inFlight;
    lastSent = Date.now();
    inFlight = inFlight
      .then(() => send(next.content))
      .then(
        () => void sent++,
        (e: unknown) => options.onError?.(e),
      );
    return inFlight;
  };

  const wait = (): number => Math.max(0, lastSent + options.minIntervalMs - Date.now());

  return {
    update(content) {
      pending = { content };
      if (timer === null) timer = setTimeout(() => void fire(), wait());
    },
    async flush() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (pending) {
        const delay = wait();
        if (delay > 0) await new Promise((r) => setTimeout(r, delay));
        await fire();
      }
      await inFlight;
    },
    get sent() {
      return sent;
    },
  };
}
