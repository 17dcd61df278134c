// Who is acting: the signed-in user (web), the token owner (API) or the user named on the CLI.
export interface Actor {
  id: string;
  email: string;
  username: string;
  name: string | null;
  isAdmin: boolean;
}

export const actorSelect = { id: true, email: true, username: true, name: true, isAdmin: true } as const;
