var b=document.getElementById("best");if(b){setTimeout(function(){location.href=b.href},60)}
