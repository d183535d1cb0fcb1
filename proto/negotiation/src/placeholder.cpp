namespace ksim::negotiation {}
