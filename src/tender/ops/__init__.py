"""Operations: kill switches, go-live doctor, reconciliation."""
