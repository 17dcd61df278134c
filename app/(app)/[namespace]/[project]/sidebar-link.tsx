"use client";
// A sidebar entry that shows when its section is the current page.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { cx } from "@/app/_components/ui";

export function SidebarLink({ href, children }: { href: string; children: React.ReactNode }) {
  const pathname = usePathname();
  const active = pathname === href || pathname.startsWith(`${href}/`);
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={cx(
        "block rounded-md px-2 py-1.5 text-sm",
        active ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100",
      )}
    >
      {children}
    </Link>
  );
}
