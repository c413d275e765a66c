/** The window's root. Until the ipc contract lands it only says the node is not reachable. */
export function App() {
  return (
    <main>
      <h1>OpenGateway</h1>
      <p role="status">Not connected to an OpenGateway node yet.</p>
    </main>
  );
}
