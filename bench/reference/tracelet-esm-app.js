// The smallest app using tracelet's npm entry: what `import { init } from 'tracelet'` costs a page.
import { init } from 'tracelet';

window.agent = init({ serviceName: 'app', endpoint: '/v1/traces' });
