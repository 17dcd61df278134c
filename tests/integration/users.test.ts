import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { createUser, findActorByEmail, findActorById, isUniqueViolation } from "@/lib/data/users";
import { appError, uid } from "./helpers";

describe("createUser", () => {
  it("derives a unique username from the address", async () => {
    const local = `Jane.Doe+${uid()}`; // `+tag` is dropped, the rest lower-cased
    const base = local.toLowerCase().replace(/\+.*$/, "");
    const tag = uid();
    const a = await createUser({ email: `${base}@${tag}-a.test` });
    const b = await createUser({ email: `${base}@${tag}-b.test` });
    const c = await createUser({ email: `${local}@${tag}-c.test` });
    // Earlier runs on a shared database may hold `jane.doe`…; what matters is: distinct, and from the base.
    for (const user of [a, b, c]) expect(user.username.startsWith(base)).toBe(true);
    expect(new Set([a.username, b.username, c.username]).size).toBe(3);
    expect(c.email).toBe(`${local.toLowerCase()}@${tag}-c.test`);
  });

  it("numbers a taken username: name, name2, name3", async () => {
    const base = `dup${uid()}`;
    const names = [];
    for (const domain of ["a.test", "b.test", "c.test"]) names.push((await createUser({ email: `${base}@${domain}` })).username);
    expect(names).toEqual([base, `${base}2`, `${base}3`]);
  });

  it("refuses a registered address whatever its case, and a malformed one", async () => {
    const email = `taken-${uid()}@example.test`;
    await createUser({ email });
    const dup = await appError(createUser({ email: ` ${email.toUpperCase()} ` }));
    expect(dup.code).toBe("conflict");
    expect(dup.fieldErrors).toHaveProperty("email");
    const bad = await appError(createUser({ email: "nobody" }));
    expect(bad.code).toBe("bad_request");
  });

  it("finds actors by address and id, but never a bot", async () => {
    const user = await createUser({ email: `find-${uid()}@example.test`, name: "Finder" });
    expect(await findActorByEmail(user.email.toUpperCase())).toEqual({
      id: user.id,
      email: user.email,
      username: user.username,
      name: "Finder",
      isAdmin: false,
    });
    expect((await findActorById(user.id))?.id).toBe(user.id);
    const bot = await createUser({ email: `bot-${uid()}@example.test` });
    await db().user.update({ where: { id: bot.id }, data: { isBot: true } });
    expect(await findActorById(bot.id)).toBeNull();
  });
});

describe("isUniqueViolation", () => {
  it("recognises a unique violation from this database's driver adapter", async () => {
    const user = await createUser({ email: `uv-${uid()}@example.test` });
    const error = await db()
      .user.create({ data: { email: `other-${uid()}@example.test`, username: user.username } })
      .then(() => undefined, (e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
    expect(isUniqueViolation(error, "username")).toBe(true);
    expect(isUniqueViolation(error, "name")).toBe(false);
    expect(isUniqueViolation(error, "email")).toBe(false);
    expect(isUniqueViolation(new Error("duplicate key"))).toBe(false);
  });
});
