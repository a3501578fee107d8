import { consoleFiles } from '../../shared/console/console-files.js';
import { consoleSecurityHeaders, pageCacheControl } from '../../shared/console/console-headers.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

/** GET /console/: the single-page app's page, naming the current content-hashed assets. */
export const getConsolePageOperation = definePublicOperation({
  route: 'getConsolePage',
  async handle({ services }, context) {
    const { page } = consoleFiles(services.config.console.dir);
    context.headers({ ...consoleSecurityHeaders, 'content-type': page.contentType, 'cache-control': pageCacheControl });
    return page.body;
  },
});
