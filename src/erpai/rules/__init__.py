"""AI business rules: AISET / AIVALIDATE / AIWARNING actions fired on record saves or by a host ERP."""
