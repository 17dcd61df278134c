// A turndown rule shared by mail-to-Markdown (body.ts) and the plain-text part of outgoing mail (email-html.ts).
import type TurndownService from "turndown";

/** List items as `- item` / `3. item` with continuation lines indented to match (turndown pads to 4 columns). */
export function addListItemRule(service: TurndownService): void {
  service.addRule("listItem", {
    filter: "li",
    replacement(content, node, options) {
      const parent = node.parentNode as HTMLElement | null;
      let prefix = `${options.bulletListMarker ?? "-"} `;
      if (parent?.nodeName === "OL") {
        const start = Number.parseInt(parent.getAttribute("start") ?? "1", 10);
        const index = Array.prototype.indexOf.call(parent.children, node);
        prefix = `${(Number.isFinite(start) ? start : 1) + index}. `;
      }
      const isParagraph = /\n$/.test(content);
      const body = content.replace(/^\n+/, "").replace(/\n+$/, "") + (isParagraph ? "\n" : "");
      const indented = body.replace(/\n(?=.)/g, `\n${" ".repeat(prefix.length)}`);
      return prefix + indented + (node.nextSibling && !/\n$/.test(indented) ? "\n" : "");
    },
  });
}

