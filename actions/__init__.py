"""Custom actions of Trợ lý An sinh: one module per journey, thin over the service clients."""
