"""ASF-hjälpen: a Swedish help bot about arbetsintegrerande sociala företag."""
