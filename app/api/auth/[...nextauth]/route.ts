// next-auth's endpoints (sign-in, callback, sign-out, session), each run with its client known, so that
// sign-in links can be limited per client IP (lib/auth/sign-in-guard.ts).
import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";
import { withSignInRequest } from "@/lib/auth/sign-in-guard";

export const dynamic = "force-dynamic";

async function handler(request: Request, context: { params: Promise<{ nextauth: string[] }> }) {
  const params = await context.params;
  return withSignInRequest(request.headers, (): Promise<Response> => NextAuth(request as never, { params } as never, authOptions()));
}

export { handler as GET, handler as POST };
