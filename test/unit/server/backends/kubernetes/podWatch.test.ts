import { describe, expect, it } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { PodWatch } from '../../../../../server/src/backends/kubernetes/podWatch.js';
import { KernelStartTimeoutError, ServiceUnavailableError } from '../../../../../server/src/errors.js';
import { waitUntil } from '../../../../support/waitFor.js';
import { capturingLogger, FakeDelays, FakeInformer, forbidden, FORBIDDEN_MESSAGE } from './fixtures.js';

/** Waits (on the event loop and a 1 ms poll, not on a fixed sleep) until `condition` holds. */
const until = (condition: () => boolean, what: string): Promise<boolean> => waitUntil(condition, { timeoutMs: 5000, what, intervalMs: 1 });

const brief = (lines: Array<Record<string, unknown>>) =>
  lines.map(({ level, message, namespace, failures, retryInMs }) => ({ level, message, namespace, failures, retryInMs }));

function setup(informers: Record<string, FakeInformer>) {
  const delays = new FakeDelays();
  const { logger, lines } = capturingLogger();
  let now = 10_000;
  const watch = new PodWatch({
    informerFactory: namespace => informers[namespace] ?? new FakeInformer([]),
    logger,
    backoff: { random: () => 0, delay: delays.delay },
    now: () => now
  });
  return { watch, delays, lines, advance: (ms: number) => (now += ms), informers };
}

const pod = (name: string, component: string): V1Pod => ({
  metadata: { name, namespace: 'team-a', uid: `uid-${name}`, labels: { 'app.kubernetes.io/component': component, 'sparkgate.io/kernel-id': 'k1' } }
});

describe('PodWatch', () => {
  it('should reject with the namespace and the API server reason when the first list fails, and log it once as an error', async () => {
    const { watch, lines } = setup({ 'team-a': new FakeInformer([forbidden()]) });
    const failed = await watch.watch('team-a').catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(ServiceUnavailableError);
    expect((failed as ServiceUnavailableError).statusCode).toBe(503);
    expect((failed as ServiceUnavailableError).message).toBe(FORBIDDEN_MESSAGE);
    expect(brief(lines)).toEqual([{ level: 'error', message: FORBIDDEN_MESSAGE, namespace: 'team-a', failures: 1, retryInMs: 1000 }]);
    expect(watch.state('team-a')).toEqual({ state: 'failed', error: failed, failures: 1, since: 10_000 });
    await watch.dispose();
  });

  it('should retry a failing namespace on the backed-off delays, logging only the first failure as an error', async () => {
    const informer = new FakeInformer(Array.from({ length: 8 }, forbidden));
    const { watch, delays, lines } = setup({ 'team-a': informer });
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    for (let start = 2; start <= 8; start++) {
      await until(() => delays.pending.length === 1, `retry delay ${start - 1}`);
      delays.releaseNext();
      await until(() => informer.starts === start && watch.state('team-a')?.failures === start, `failed start ${start}`);
    }
    expect(delays.asked).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(lines.map(l => l.level)).toEqual(['error', 'debug', 'debug', 'debug', 'debug', 'debug', 'debug', 'debug']);
    expect(watch.state('team-a')).toMatchObject({ state: 'failed', failures: 8, since: 10_000 });
    await watch.dispose();
  });

  it('should reset the back-off once a list succeeds, and back off from 1 s again when the running watch breaks', async () => {
    const informer = new FakeInformer([forbidden(), forbidden(), forbidden(), [pod('driver-1', 'driver')]]);
    const { watch, delays, lines, advance } = setup({ 'team-a': informer });
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    for (let start = 2; start <= 4; start++) {
      await until(() => delays.pending.length === 1, `retry delay ${start - 1}`);
      advance(500);
      delays.releaseNext();
      await until(() => informer.starts === start, `start ${start}`);
    }
    await until(() => watch.state('team-a')?.state === 'ready', 'the watch to recover');
    expect(delays.asked).toEqual([1000, 2000, 4000]);
    expect(watch.state('team-a')).toEqual({ state: 'ready', error: null, failures: 0, since: 11_500 });
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'pod watch established', namespace: 'team-a', afterFailedAttempts: 3 });
    await expect(watch.watch('team-a')).resolves.toBeUndefined();
    expect(watch.list('team-a', 'driver').map(p => p.metadata?.name)).toEqual(['driver-1']);

    // The watch stream ends with an error after progress: restart after the first delay again.
    informer.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    await until(() => delays.pending.length === 1, 'the restart delay');
    expect(delays.asked).toEqual([1000, 2000, 4000, 1000]);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'pod watch broke; restarting', namespace: 'team-a', error: 'read ECONNRESET', retryInMs: 1000 });
    // The cache stays usable while the restart is pending.
    await expect(watch.watch('team-a')).resolves.toBeUndefined();
    delays.releaseNext();
    await until(() => informer.starts === 5, 'the restart');
    expect(watch.state('team-a')).toMatchObject({ state: 'ready', failures: 0 });
    await watch.dispose();
  });

  it('should fail a launch fast from the last answer, and try again at once after the first delay so a fixed namespace works', async () => {
    const informer = new FakeInformer([forbidden(), forbidden(), []]);
    const { watch, delays, advance } = setup({ 'team-a': informer });
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    // Within the first delay: the cached error, no new request to the API server.
    advance(999);
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    expect(informer.starts).toBe(1);
    // Later: a new attempt now, replacing the pending back-off delay (whose signal is aborted).
    advance(1);
    await expect(watch.watch('team-a')).rejects.toThrow(FORBIDDEN_MESSAGE);
    expect(informer.starts).toBe(2);
    expect(delays.pending[0]?.signal?.aborted).toBe(true);
    advance(1000);
    await expect(watch.watch('team-a')).resolves.toBeUndefined();
    expect(informer.starts).toBe(3);
    expect(delays.asked).toEqual([1000, 2000]);
    expect(delays.pending.map(d => d.signal?.aborted)).toEqual([true, true]);
    expect(watch.state('team-a')).toMatchObject({ state: 'ready', failures: 0 });
    await watch.dispose();
  });

  it('should share one start between concurrent callers and keep other namespaces working', async () => {
    const a = new FakeInformer([forbidden()]);
    const b = new FakeInformer([[pod('driver-b', 'driver')]]);
    const { watch } = setup({ 'team-a': a, 'team-b': b });
    const results = await Promise.allSettled([watch.watch('team-a'), watch.watch('team-a'), watch.watch('team-b')]);
    expect(results.map(r => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect([a.starts, b.starts]).toEqual([1, 1]);
    expect(watch.state('team-b')).toMatchObject({ state: 'ready' });
    await watch.dispose();
    expect([a.stopped, b.stopped]).toEqual([true, true]);
  });

  it('should emit pod events and filter cached pods by component and kernel', async () => {
    const informer = new FakeInformer([[pod('driver-1', 'driver'), pod('exec-1', 'executor')]]);
    const { watch } = setup({ 'team-a': informer });
    const seen: Array<[string | undefined, boolean]> = [];
    watch.on('pod', (p, deleted) => seen.push([p.metadata?.name, deleted]));
    await watch.watch('team-a');
    informer.emit('delete', pod('exec-1', 'executor'));
    expect(seen).toEqual([
      ['driver-1', false],
      ['exec-1', false],
      ['exec-1', true]
    ]);
    expect(watch.list('team-a', 'executor', 'k1').map(p => p.metadata?.name)).toEqual(['exec-1']);
    expect(watch.list('team-a', 'executor', 'other')).toEqual([]);
    expect(watch.pod('team-a', 'driver-1')?.metadata?.uid).toBe('uid-driver-1');
    await watch.dispose();
  });

  it('should stop waiting when the signal aborts, while the start goes on for other callers (issue 12)', async () => {
    const informer = new FakeInformer(['hang']);
    const { watch } = setup({ 'team-a': informer });
    const launch = new AbortController();
    const waiting = watch.watch('team-a', launch.signal);
    const other = watch.watch('team-a');
    let otherSettled = false;
    other.finally(() => (otherSettled = true)).catch(() => undefined);
    const timeout = new KernelStartTimeoutError('kernel did not start within 60 s');
    launch.abort(timeout);
    await expect(waiting).rejects.toBe(timeout);
    expect(informer.starts).toBe(1);
    expect(watch.state('team-a')).toMatchObject({ state: 'starting' });
    expect(otherSettled).toBe(false);
    // A launch whose signal has already aborted does not wait at all.
    await expect(watch.watch('team-a', AbortSignal.abort(timeout))).rejects.toBe(timeout);
    expect(informer.starts).toBe(1);
  });
});
