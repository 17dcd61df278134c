// List links: URL ↔ query (defaults, repeats, flags), cursors (round trip and tampering), #iid search.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, parseIssueListQuery } from "@/lib/data/issue-list";
import { maskEmail } from "@/lib/data/address-visibility";
import { AppError } from "@/lib/errors";
import {
  hasIssueListFilters,
  issueListHref,
  issueListInputFromSearchParams,
  issueListSearch,
  ISSUE_LIST_SORTS,
  searchedIid,
  type IssueListQuery,
} from "@/lib/schemas";

const fromUrl = (search: string) => parseIssueListQuery(issueListInputFromSearchParams(new URLSearchParams(search)));

function badRequest(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("bad_request");
    return error as AppError;
  }
  throw new Error("expected a bad_request");
}

describe("list query from a URL", () => {
  it("fills in the defaults for an empty URL", () => {
    expect(fromUrl("")).toEqual({
      state: "opened",
      serviceDesk: false,
      labels: [],
      sort: "created_desc",
      direction: "next",
      assignee: undefined,
      author: undefined,
      awaiting: undefined,
      search: undefined,
      cursor: undefined,
    });
  });

  it("reads every parameter, repeated labels included (deduplicated in any case)", () => {
    const cursor = encodeCursor(new Date("2025-01-02T03:04:05.678Z"), 42);
    expect(
      fromUrl(
        `state=closed&service_desk=true&label=bug&label=Urgent&label=BUG&assignee=alice&author=Jake@Customer.Example&awaiting=1&search=+%2312+&sort=updated_asc&cursor=${cursor}&dir=prev`,
      ),
    ).toEqual({
      state: "closed",
      serviceDesk: true,
      labels: ["bug", "Urgent"],
      assignee: "alice",
      author: "jake@customer.example",
      awaiting: true,
      search: "#12",
      sort: "updated_asc",
      cursor,
      direction: "prev",
    });
  });

  it("reads Next's searchParams objects too, and empty values as absent", () => {
    expect(
      parseIssueListQuery(issueListInputFromSearchParams({ label: ["a", "b"], state: "all", search: "  ", author: "", cursor: "", awaiting: "false" })),
    ).toMatchObject({ labels: ["a", "b"], state: "all", search: undefined, author: undefined, cursor: undefined, awaiting: false });
    // A repeated single-valued parameter: the last one wins.
    expect(fromUrl("state=closed&state=all").state).toBe("all");
  });

  it.each([
    ["state=open", "state"],
    ["sort=title", "sort"],
    ["service_desk=yes", "serviceDesk"],
    ["awaiting=maybe", "awaiting"],
    ["dir=back&cursor=abc", "direction"],
    ["cursor=a%20b", "cursor"],
    [`search=${"x".repeat(256)}`, "search"],
    [`label=${"x".repeat(256)}`, "labels.0"],
    [Array.from({ length: 21 }, (_, i) => `label=l${i}`).join("&"), "labels"],
  ])("refuses %s with a message for the field", (search, field) => {
    const error = badRequest(() => fromUrl(search));
    expect(Object.keys(error.fieldErrors ?? {})).toEqual([field]);
    expect(error.message).toBe(error.fieldErrors![field]);
  });
});

describe("list links", () => {
  it("leave defaults out and round-trip through the URL", () => {
    expect(issueListSearch({ state: "opened", sort: "created_desc", labels: [], serviceDesk: false })).toBe("");
    const query = fromUrl("state=all&label=a%20b&label=c%26d&assignee=none&awaiting=false&search=50%25+off&sort=updated_desc");
    const href = issueListHref("/g/p/issues", query);
    expect(href.startsWith("/g/p/issues?")).toBe(true);
    expect(fromUrl(href.split("?")[1])).toEqual(query);
  });

  it("start again at the first page when a filter changes, and keep the page when asked", () => {
    const cursor = encodeCursor(new Date(0), 1);
    const query = fromUrl(`cursor=${cursor}&dir=prev&sort=updated_desc`);
    expect(issueListHref("/x", query, { state: "closed" })).toBe("/x?state=closed&sort=updated_desc");
    expect(issueListHref("/x", query, { cursor: "abc", direction: "next" })).toBe("/x?sort=updated_desc&cursor=abc");
    expect(issueListHref("/x", query, { cursor: undefined, direction: undefined })).toBe("/x?sort=updated_desc");
  });

  it("round-trip any query (property)", () => {
    const text = fc.string({ maxLength: 30 }).map((s) => s.trim()).filter((s) => s.length > 0);
    fc.assert(
      fc.property(
        fc.record({
          state: fc.constantFrom("opened", "closed", "all" as const),
          serviceDesk: fc.boolean(),
          labels: fc.uniqueArray(text, { maxLength: 4, selector: (s) => s.toLowerCase() }),
          assignee: fc.option(text, { nil: undefined }),
          author: fc.option(text.map((s) => s.toLowerCase()), { nil: undefined }),
          awaiting: fc.option(fc.boolean(), { nil: undefined }),
          search: fc.option(text, { nil: undefined }),
          sort: fc.constantFrom(...ISSUE_LIST_SORTS),
        }),
        (partial) => {
          const query: IssueListQuery = { ...partial, cursor: undefined, direction: "next" };
          const search = issueListSearch(query);
          expect(fromUrl(search.slice(1))).toEqual(query);
        },
      ),
    );
  });

  it("know when filters narrow the list", () => {
    expect(hasIssueListFilters(fromUrl("state=closed&sort=created_asc"))).toBe(false);
    for (const search of ["label=a", "assignee=none", "author=a@b.c", "awaiting=false", "search=x", "service_desk=true"])
      expect(hasIssueListFilters(fromUrl(search)), search).toBe(true);
  });
});

describe("cursors", () => {
  it("round-trip a position (property)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.integer({ min: 1, max: 2_147_483_647 }),
        (date, id) => {
          const cursor = encodeCursor(date, id);
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(decodeCursor(cursor)).toEqual({ value: date, id });
        },
      ),
    );
  });

  const b64 = (value: string) => Buffer.from(value).toString("base64url");

  it.each([
    "",
    "%%%",
    b64("hello"),
    b64("null"),
    b64("[]"),
    b64('{"0":"2025-01-01T00:00:00.000Z","1":1}'),
    b64('["2025-01-01T00:00:00.000Z",1,2]'),
    b64('["2025-01-01T00:00:00Z",1]'),
    b64('["2025-02-30T00:00:00.000Z",1]'),
    b64('["2025-01-01T00:00:00.000Z",0]'),
    b64('["2025-01-01T00:00:00.000Z",2147483648]'),
    b64('["2025-01-01T00:00:00.000Z",1e400]'),
    b64('[1735689600000,1]'),
  ])("refuses a tampered cursor %j as bad_request", (cursor) => {
    const error = badRequest(() => decodeCursor(cursor));
    expect(error.fieldErrors).toEqual({ cursor: expect.stringMatching(/first page/) });
  });

  it("is checked when the query is parsed, before any database work", () => {
    badRequest(() => parseIssueListQuery({ cursor: b64('["x",1]') }));
  });

  it("never throws anything but bad_request, whatever the bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const cursor = Buffer.from(bytes).toString("base64url");
        try {
          decodeCursor(cursor);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).code).toBe("bad_request");
        }
      }),
    );
  });
});

describe("search and masking", () => {
  it("reads #123 as an iid, and a plain number as text", () => {
    expect(searchedIid("#123")).toBe(123);
    expect(searchedIid("123")).toBeUndefined();
    expect(searchedIid("#12a")).toBeUndefined();
    expect(searchedIid("# 12")).toBeUndefined();
    expect(searchedIid("#1234567890")).toBeUndefined();
    expect(searchedIid(undefined)).toBeUndefined();
  });

  it("masks a customer's address to its first letters and top-level domain, GitLab's way", () => {
    expect(maskEmail("jake@customer.example")).toBe("j****@c****.example");
    expect(maskEmail("anna.long-name@mail.sub.example.com")).toBe("a****@m****.com");
    expect(maskEmail("no-at-sign")).toBe("n****@****");
  });
});
