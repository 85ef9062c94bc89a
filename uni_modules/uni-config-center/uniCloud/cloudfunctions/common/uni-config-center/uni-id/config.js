// The LOCAL uni-id config of the demo: the token secret the local host generated under ${VKPAY_HOME}
// (uni-id-token-secret, mode 0600). A real project keeps uni-id/config.json with its own tokenSecret instead.
'use strict';
const fs = require('fs');
const path = require('path');

const home = path.resolve(process.env.VKPAY_HOME || '.vkpay');

function tokenSecret() {
  const file = path.join(home, 'uni-id-token-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new Error('uni-id: ' + file + ' does not exist yet; start the local host (npm start) to generate it');
  }
}

module.exports = {
  // read when a token is made or checked: the host may create the file after this module is loaded
  get tokenSecret() { return tokenSecret(); },
  tokenExpiresIn: 7200,
};
