// Imported first by main.jsx, so fetch, XHR, errors and route changes are traced from the start.
import { getAgent, init } from 'tracelet';

init({
  serviceName: 'react-shop',
  serviceVersion: '1.0.0',
  // Set at build time: VITE_OTLP_ENDPOINT=https://collector.example.com/v1/traces npm run build
  endpoint: import.meta.env.VITE_OTLP_ENDPOINT ?? 'http://localhost:4318/v1/traces',
  // Same-origin requests get traceparent anyway; list your API's other origins here.
  propagateTo: [],
});

// For the browser console (and this example's test): Tracelet-style access to the agent.
window.tracelet = { getAgent };
