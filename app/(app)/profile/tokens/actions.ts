"use server";
// Personal access token actions (the signed-in user's own tokens only).
import { revalidatePath } from "next/cache";
import { action } from "@/lib/auth/action";
import { createAccessToken, revokeAccessToken } from "@/lib/data/access-tokens";
import { createAccessTokenSchema, revokeAccessTokenSchema } from "@/lib/schemas";

export const createTokenAction = action(createAccessTokenSchema, async (input, actor) => {
  const created = await createAccessToken(actor, input);
  revalidatePath("/profile/tokens");
  // The secret goes back to the browser exactly once; it is not stored anywhere readable.
  return { name: created.name, token: created.token };
});

export const revokeTokenAction = action(revokeAccessTokenSchema, async ({ id }, actor) => {
  const result = await revokeAccessToken(actor, id);
  revalidatePath("/profile/tokens");
  return result;
});
