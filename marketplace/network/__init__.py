"""The network: catalog, workshops, machines, capacity, carriers."""
