// vk-pay cloud object. All logic lives in the vk-pay-core common module (built by `npm run build:cloud`);
// this file only hands uniCloud the object with _before, _after and the client-callable methods.
'use strict';
module.exports = require('vk-pay-core').vkPayCloudObject();
