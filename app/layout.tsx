// Root layout: document shell and global styles.
import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Service Desk", template: "%s · Service Desk" },
  description: "Take support by email without leaving your issue tracker.",
  icons: { icon: "/favicon.svg" },
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">{children}</body>
    </html>
  );
}
