// vk-pay notify function (URL-ized). The gateway posts to <path>/<channel>; the core verifies the raw body
// before anything else and answers with an integrated response (mpserverlessComposedResponse).
'use strict';
exports.main = require('vk-pay-core').vkPayNotify();
