/** Multi-user mode: users see and touch only their own kernels; another's is "not found" everywhere. */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { api, startGateway, type TestGateway } from './support/gateway.js';
import { KernelSocket } from './support/kernelSocket.js';

jest.setTimeout(120_000);

const yaml = `
# The API's tenancy is what is tested here; local kernels share one OS user (README, Security).
local: {usersTrustEachOther: true}
users:
  - {name: alice, tenant: team-a, token: alice-token-123}
  - {name: bob, tenant: team-b, token: bob-token-456}
  - {name: carol, tenant: team-a, token: carol-token-789}
tenants:
  team-a: {profiles: [python3, pyspark]}
  team-b: {profiles: [python3]}
`;

let gw: TestGateway;
const as = (token: string) => ({ url: gw.url, token });
let aliceKernel: string;

beforeAll(async () => {
  gw = await startGateway({ yaml });
  const { status, body } = await api(as('alice-token-123'), 'POST', '/api/kernels', { name: 'python3' });
  expect(status).toBe(201);
  aliceKernel = (body as { id: string }).id;
});
afterAll(async () => {
  await gw?.stop();
});

describe('integration/ownership', () => {
  it.each([['bob-token-456', 'another tenant'], ['carol-token-789', 'the same tenant']])(
    'should hide a kernel from a user of %s',
    async token => {
      const other = as(token);
      expect((await api(other, 'GET', '/api/kernels')).body).toEqual([]);
      for (const [method, suffix] of [['GET', ''], ['POST', '/interrupt'], ['POST', '/restart'], ['DELETE', '']] as const) {
        const { status, body } = await api(other, method, `/api/kernels/${aliceKernel}${suffix}`, method === 'POST' ? {} : undefined);
        expect([method, suffix, status]).toEqual([method, suffix, 404]);
        expect(body).toEqual({ reason: 'NotFound', message: `kernel ${aliceKernel} does not exist` });
      }
      await expect(KernelSocket.open(gw.wsUrl, aliceKernel, token)).rejects.toMatchObject({ status: 404 });
      // Still alice's, still alive.
      const ws = await KernelSocket.open(gw.wsUrl, aliceKernel, 'alice-token-123');
      expect((await ws.execute('"mine"')).result).toBe("'mine'");
      ws.close();
    }
  );

  it('should list only the kernelspecs of the caller tenant', async () => {
    const bob = (await api(as('bob-token-456'), 'GET', '/api/kernelspecs')).body as { default: string; kernelspecs: object };
    expect(Object.keys(bob.kernelspecs)).toEqual(['python3']);
    expect(bob.default).toBe('python3');
    const denied = await api(as('bob-token-456'), 'POST', '/api/kernels', { name: 'pyspark' });
    expect(denied.status).toBe(404);
    expect((denied.body as { message: string }).message).toBe("kernel spec 'pyspark' does not exist; available: python3");
    const alice = (await api(as('alice-token-123'), 'GET', '/api/kernelspecs')).body as { kernelspecs: Record<string, { spec: { display_name: string } }> };
    expect(Object.keys(alice.kernelspecs).sort()).toEqual(['pyspark', 'python3']);
    expect(alice.kernelspecs.pyspark?.spec.display_name).toBe('PySpark (local)');
  });

  it('should list the caller kernels only', async () => {
    const list = (await api(as('alice-token-123'), 'GET', '/api/kernels')).body as { id: string }[];
    expect(list.map(k => k.id)).toEqual([aliceKernel]);
  });
});
