/** Who is calling: the user from their token, and the tenant the user belongs to. */
export interface Identity {
  user: string;
  tenant: string;
}
