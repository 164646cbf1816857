/** Schedules `fn` after `ms`; returns a cancel function. Injected where tests drive time. */
export type Timer = (fn: () => void, ms: number) => () => void;

/** The real one: an unref'd `setTimeout`, so a pending timer never keeps the gateway alive. */
export const unrefTimer: Timer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};
