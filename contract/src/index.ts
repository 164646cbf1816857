// Filled in by issue 12 item 5: the server ↔ extension contract.
export {};
