import Link from 'next/link';

export default function NotFound() {
  return (
    <main className="login-page" id="main">
      <div className="login-card">
        <h1>Page not found</h1>
        <p>
          Go to the <Link href="/">overview</Link>.
        </p>
      </div>
    </main>
  );
}
