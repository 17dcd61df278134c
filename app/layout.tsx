// Root layout: document shell and global styles.
import type { Metadata } from "next";
import { connection } from "next/server";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Service Desk", template: "%s · Service Desk" },
  description: "Take support by email without leaving your issue tracker.",
  icons: { icon: "/favicon.svg" },
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page renders per request: a page prerendered at build time would carry scripts without this
  // request's CSP nonce (proxy.ts), and the browser would refuse to run them.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}
