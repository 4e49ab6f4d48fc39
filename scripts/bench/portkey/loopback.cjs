// Preloaded into the Portkey gateway (node --require) by `make bench`: the gateway listens on every interface and has
// no option to change that, so a server started without a host is bound to 127.0.0.1 instead.
'use strict';
const net = require('node:net');
const LOOPBACK = '127.0.0.1';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    // listen(port[, host][, backlog][, callback]) called without a host, or with host undefined
    if (args.length > 1 && args[1] === undefined) {
      args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  } else if (args[0] && typeof args[0] === 'object' && args[0].host === undefined && args[0].path === undefined) {
    args[0] = { ...args[0], host: LOOPBACK };
  }
  return listen.apply(this, args);
};
