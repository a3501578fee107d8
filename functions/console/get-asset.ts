import * as z from 'zod';
import { consoleFiles } from '../../shared/console/console-files.js';
import { assetCacheControl, consoleSecurityHeaders } from '../../shared/console/console-headers.js';
import { AppError } from '../../shared/errors/app-error.js';
import { definePublicOperation } from '../../shared/runtime/operation.js';

const AssetParams = z.object({ file: z.string().max(200) });

/**
 * GET /console/assets/{file}: one built file, looked up by name in memory, so a name outside the
 * build (`..%2Fbundle.cjs`) is simply not found.
 */
export const getConsoleAssetOperation = definePublicOperation({
  route: 'getConsoleAsset',
  params: AssetParams,
  async handle({ params, services }, context) {
    const asset = consoleFiles(services.config.console.dir).assets.get(params.file);
    if (!asset) throw new AppError('not_found');
    context.headers({ ...consoleSecurityHeaders, 'content-type': asset.contentType, 'cache-control': assetCacheControl });
    return asset.body;
  },
});
