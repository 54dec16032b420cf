// An OPC UA server written by other people (node-opcua) for thermowatch's ingest tests.
// Usage: node opcua_server.js '{"port": 4840, "pki": "dir", "secure": false, ...}'
// Prints "READY {...}" once listening; then reads one JSON command per line on stdin
// ({"node": "TR-1.winding", "value": 0, "status": "BadSensorFailure", "offset_s": 0,
//   "source_ts": "ISO"}) and answers "OK".
"use strict";
const opcua = require("node-opcua");
const readline = require("readline");

const cfg = JSON.parse(process.argv[2]);

async function main() {
  const serverCertificateManager = new opcua.OPCUACertificateManager({
    rootFolder: cfg.pki,
    automaticallyAcceptUnknownCertificate: true,
  });
  await serverCertificateManager.initialize();
  const options = {
    port: cfg.port,
    resourcePath: "/field",
    serverCertificateManager,
    serverInfo: { applicationUri: "urn:thermowatch-test:node-opcua-server" },
    securityPolicies: [opcua.SecurityPolicy.None],
    securityModes: [opcua.MessageSecurityMode.None],
  };
  if (cfg.secure) {
    options.securityPolicies = [opcua.SecurityPolicy.Basic256Sha256];
    options.securityModes = [opcua.MessageSecurityMode.SignAndEncrypt];
    options.certificateFile = cfg.cert;
    options.privateKeyFile = cfg.key;
  }
  if (cfg.users) {
    options.allowAnonymous = false;
    options.userManager = { isValidUser: (user, password) => cfg.users[user] === password };
  }
  const server = new opcua.OPCUAServer(options);
  await server.initialize();
  const space = server.engine.addressSpace;
  const decoy = space.registerNamespace("urn:decoy:vendor");
  const field = space.registerNamespace("urn:thermowatch:field-test");
  const vars = {};
  const add = (ns, nodeId, name, dataType, value) => {
    const v = ns.addVariable({
      organizedBy: space.rootFolder.objects, nodeId, browseName: name, dataType,
    });
    v.setValueFromSource({ dataType, value }, opcua.StatusCodes.Good, new Date());
    return v;
  };
  add(decoy, "s=TR-1.winding", "decoyWinding", "Double", 999.0); // same id, other namespace
  vars["TR-1.current"] = add(field, "s=TR-1.current", "current", "Double", 812.5);
  vars["TR-1.ambient"] = add(field, "s=TR-1.ambient", "ambient", "Double", 21.0);
  vars["TR-1.winding"] = add(field, "s=TR-1.winding", "winding", "Double", 74.5);
  vars["TR-1.oil"] = add(field, "i=1001", "oil", "Double", 66.5);
  vars["TR-1.mvar"] = add(field, "s=TR-1.mvar", "mvarTenths", "Int16", 123);
  await server.start();
  const info = { field: field.index, decoy: decoy.index, endpoint: server.getEndpointUrl() };
  console.log("READY " + JSON.stringify(info));

  const stop = async () => {
    await server.shutdown(0);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    const cmd = JSON.parse(line);
    const v = vars[cmd.node];
    const status = opcua.StatusCodes[cmd.status || "Good"];
    let ts = new Date(Date.now() + 1000 * (cmd.offset_s || 0));
    if (cmd.source_ts) ts = new Date(cmd.source_ts);
    const dataType = cmd.node === "TR-1.mvar" ? "Int16" : "Double";
    v.setValueFromSource({ dataType, value: cmd.value }, status, ts);
    console.log("OK " + ts.toISOString());
  });
  rl.on("close", stop);
}

main().catch((err) => {
  console.error("FAILED " + err.message);
  process.exit(1);
});
