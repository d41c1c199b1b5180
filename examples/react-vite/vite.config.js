import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  resolve: {
    // One @opentelemetry/api for the app and tracelet, so trace.getTracer() spans join the
    // agent's traces. A published tracelet shares the app's copy anyway (a peer dependency);
    // this example links the repo's build, whose own node_modules has another copy.
    dedupe: ['@opentelemetry/api'],
  },
  build: { sourcemap: true },
});
