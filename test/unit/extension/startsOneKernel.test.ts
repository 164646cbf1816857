import { describe, expect, it } from '@jest/globals';
import type { ISessionContext } from '@jupyterlab/apputils';
import { startsOneKernel } from '../../../extension/src/sharing.js';

/** A promise the test settles. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The part of JupyterLab's SessionContext at stake: each start creates a session (POST api/sessions)
 * answered when the test says; `hasNoKernel` is a prototype getter, as in JupyterLab 4.5.
 */
class FakeSessionContext {
  starts: { resolve: () => void; reject: (e: Error) => void }[] = [];
  session: { kernel: { name: string } } | null = null;
  pendingName = '';

  get hasNoKernel(): boolean {
    return !this.pendingName && !this.session?.kernel;
  }

  async startKernel(): Promise<boolean> {
    return (await this._start('pyspark-gpu--c1')) === null;
  }

  changeKernel(options: { name?: string } = {}): Promise<{ name: string } | null> {
    return this._start(options.name ?? '');
  }

  private async _start(name: string): Promise<{ name: string } | null> {
    this.pendingName = name;
    const answer = deferred<void>();
    this.starts.push(answer);
    try {
      await answer.promise;
      this.session = { kernel: { name } };
      return this.session.kernel;
    } catch {
      return null;
    } finally {
      this.pendingName = '';
    }
  }
}

const guarded = (): { fake: FakeSessionContext; ctx: ISessionContext; undo: { dispose(): void } } => {
  const fake = new FakeSessionContext();
  const ctx = fake as unknown as ISessionContext;
  return { fake, ctx, undo: startsOneKernel(ctx) };
};

describe('extension/sharing #startsOneKernel()', () => {
  it("should make a run's start during the notebook's own start wait for it, not start a second session", async () => {
    const { fake, ctx } = guarded();
    const own = ctx.startKernel();
    // The cell run (JupyterLab's runCell): no kernel yet, so it asks for a start.
    expect(ctx.hasNoKernel).toBe(true);
    const run = ctx.startKernel();
    await Promise.resolve();
    expect(fake.starts).toHaveLength(1);
    fake.starts[0]!.resolve();
    expect(await own).toBe(false);
    // false: no kernel dialog; the run goes on to the kernel it waited for.
    expect(await run).toBe(false);
    expect(ctx.hasNoKernel).toBe(false);
    expect(fake.starts).toHaveLength(1);
  });

  it('should make a run that came first the only start, the notebook\'s own start waiting for it', async () => {
    const { fake, ctx } = guarded();
    const run = ctx.startKernel();
    const own = ctx.startKernel();
    await Promise.resolve();
    fake.starts[0]!.resolve();
    expect([await run, await own]).toEqual([false, false]);
    expect(fake.starts).toHaveLength(1);
  });

  it('should say "no kernel" while a kernel change is under way (else the run finds none and is dropped)', async () => {
    const { fake, ctx } = guarded();
    const change = ctx.changeKernel({ name: 'pyspark-gpu--c2' });
    await Promise.resolve();
    // JupyterLab alone says a kernel is there (its pending name), and the run would be lost.
    expect(fake.pendingName).toBe('pyspark-gpu--c2');
    expect(ctx.hasNoKernel).toBe(true);
    const run = ctx.startKernel();
    fake.starts[0]!.resolve();
    expect(await change).toEqual({ name: 'pyspark-gpu--c2' });
    expect(await run).toBe(false);
    expect(fake.starts).toHaveLength(1);
    expect(ctx.hasNoKernel).toBe(false);
  });

  it('should let a waiting run ask for a kernel when the start under way gave none', async () => {
    const { fake, ctx } = guarded();
    const own = ctx.startKernel();
    const run = ctx.startKernel();
    await Promise.resolve();
    fake.starts[0]!.reject(new Error('no node can hold it'));
    expect(await own).toBe(true);
    expect(await run).toBe(true);
    expect(ctx.hasNoKernel).toBe(true);
  });

  it('should start again after a start ended, one at a time', async () => {
    const { fake, ctx } = guarded();
    const first = ctx.startKernel();
    await Promise.resolve();
    fake.starts[0]!.resolve();
    await first;
    const second = ctx.changeKernel({ name: 'pyspark-gpu--c3' });
    const third = ctx.changeKernel({ name: 'pyspark-gpu--c4' });
    await new Promise(resolve => setTimeout(resolve, 0));
    // The third waits for the second instead of preempting it.
    expect(fake.starts).toHaveLength(2);
    fake.starts[1]!.resolve();
    await second;
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(fake.starts).toHaveLength(3);
    fake.starts[2]!.resolve();
    expect(await third).toEqual({ name: 'pyspark-gpu--c4' });
  });

  it("should give back JupyterLab's own methods and getter when disposed", () => {
    const { ctx, undo } = guarded();
    undo.dispose();
    expect(Object.keys(ctx)).not.toContain('startKernel');
    expect(Object.keys(ctx)).not.toContain('changeKernel');
    expect(Object.getOwnPropertyDescriptor(ctx, 'hasNoKernel')).toBeUndefined();
    expect(ctx.startKernel).toBe(FakeSessionContext.prototype.startKernel);
  });
});
