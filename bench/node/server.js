// Baseline: a minimal `ws` broadcast server. Every text message is sent to
// every connected client. Usage: node server.js PORT
const { WebSocketServer, WebSocket } = require("ws");
const port = Number(process.argv[2] || 9001);
const wss = new WebSocketServer({ port, host: "127.0.0.1", path: "/ws" });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
});
