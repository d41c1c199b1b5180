import { SpanStatusCode, trace } from '@opentelemetry/api';
import { useState } from 'react';
import { Link, Route, Routes } from 'react-router';

// The app's own spans: the plain OpenTelemetry API. tracelet is the SDK behind it.
const tracer = trace.getTracer('react-shop', '1.0.0');

/** Runs `work` inside a span named `name`; the fetch it starts becomes the span's child. */
function traced(name, work) {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err?.message ?? err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

function Home() {
  return (
    <section>
      <h1>Home</h1>
      <p>Every route change is a <code>route_change</code> span; open the products page.</p>
    </section>
  );
}

function Products() {
  const [quote, setQuote] = useState();
  const load = () =>
    traced('load quote', async () => {
      const res = await fetch('/api/quote?product=mug');
      if (!res.ok) throw new Error(`quote failed: ${res.status}`);
      return res.json();
    }).then(setQuote, (err) => setQuote({ error: err.message }));
  return (
    <section>
      <h1>Products</h1>
      <button type="button" onClick={load}>Get a quote</button>
      {quote && <p id="quote">{quote.error ?? `${quote.product}: ${quote.price} €`}</p>}
    </section>
  );
}

function About() {
  return (
    <section>
      <h1>About</h1>
      <p>A React Router app built by Vite, traced by one import of tracelet.</p>
    </section>
  );
}

export function App() {
  return (
    <>
      <nav>
        <Link to="/">Home</Link> · <Link to="/products">Products</Link> · <Link to="/about">About</Link>
      </nav>
      <main>
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/products" element={<Products />} />
          <Route path="/about" element={<About />} />
        </Routes>
      </main>
    </>
  );
}
