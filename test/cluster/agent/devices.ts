/**
 * Per-node allocator of fake GPU devices. Ids look like real NVIDIA UUIDs so discovery scripts can
 * pass them through: `GPU-fake-<node>-<index>`. A device belongs to at most one pod at a time.
 */
export class DeviceAllocator {
  private readonly owner = new Map<string, string>();
  readonly devices: string[];

  constructor(node: string, count: number) {
    this.devices = Array.from({ length: count }, (_, i) => `GPU-fake-${node}-${i}`);
  }

  /** Allocates `n` free devices to `podUid`, or returns undefined when fewer are free. */
  allocate(podUid: string, n: number): string[] | undefined {
    const held = this.heldBy(podUid);
    if (held.length > 0) {
      return held;
    }
    const free = this.devices.filter((d) => !this.owner.has(d));
    if (free.length < n) {
      return undefined;
    }
    const picked = free.slice(0, n);
    for (const d of picked) {
      this.owner.set(d, podUid);
    }
    return picked;
  }

  /** Number of devices not held by any pod. */
  free(): number {
    return this.devices.length - this.owner.size;
  }

  /** The pod uid holding `device`, or undefined when it is free. */
  ownerOf(device: string): string | undefined {
    return this.owner.get(device);
  }

  heldBy(podUid: string): string[] {
    return this.devices.filter((d) => this.owner.get(d) === podUid);
  }

  release(podUid: string): void {
    for (const [d, uid] of this.owner) {
      if (uid === podUid) {
        this.owner.delete(d);
      }
    }
  }
}

/** Pod IPs for one node from 127.<net>.<node>.2-254, handed out round-robin so an IP is not reused at once. */
export class IpAllocator {
  private readonly used = new Set<number>();
  private next = 2;

  constructor(readonly prefix: string) {}

  allocate(): string {
    for (let i = 0; i < 253; i++) {
      const host = 2 + ((this.next - 2 + i) % 253);
      if (!this.used.has(host)) {
        this.used.add(host);
        this.next = host + 1;
        return `${this.prefix}.${host}`;
      }
    }
    throw new Error(`no free pod IP left in ${this.prefix}.0/24`);
  }

  release(ip: string): void {
    this.used.delete(Number(ip.split('.').at(-1)));
  }
}
