// vk-pay sync timer (triggered every minute by cloudfunction-config.triggers, 7-field cron, UTC+8).
'use strict';
exports.main = require('vk-pay-core').vkPaySync();
