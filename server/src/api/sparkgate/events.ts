/** The `/status` event maps both sides use, defined once in the contract. */
export type { ClientToServerEvents, ServerToClientEvents } from '@sparkgate/contract';

export type InterServerEvents = Record<string, never>;

export interface SocketData {
  user: string;
  tenant: string;
}

/** The room of one user's events. */
export function roomOf(identity: { user: string; tenant: string }): string {
  return `user:${identity.tenant}/${identity.user}`;
}
