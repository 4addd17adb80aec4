"""What several test groups share: clients of the fake, a real redis-server, the contract."""
